"""What users ask of a replayed convention: deadlines, what-if, batch summaries, expect checks."""
