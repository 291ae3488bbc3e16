"""The worked scenarios of the requirements, loaded through the services' own RPCs as a customer would:
org first (who is who), then goals (strategy, metrics, readings)."""
