"""The goals service: strategy and OKR trees, metric catalog, readings, threshold alerts and check-ins
(G1-G6)."""
