from services.chassis.migrations import run_environment
from services.gateway.adapters.tables import metadata

run_environment(metadata)
