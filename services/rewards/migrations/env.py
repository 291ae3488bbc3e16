from services.chassis.migrations import run_environment
from services.rewards.adapters.tables import metadata

run_environment(metadata)
