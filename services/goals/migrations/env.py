from services.chassis.migrations import run_environment
from services.goals.adapters.tables import metadata

run_environment(metadata)
