"""For people: tables, CSV, the HTML report, the catalogue pages and the words of both languages."""
