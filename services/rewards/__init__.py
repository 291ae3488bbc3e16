"""The rewards service: outcome policies and their actions, promotion eligibility, improvement plans,
training, and the points economy (R1-R6)."""
