"""The engine's core: the fold over dated events, the decision contract and the durable_rules adapter, and the mechanics it computes with (calendar, ledger, formula, dates, money)."""
