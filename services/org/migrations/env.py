from services.chassis.migrations import run_environment
from services.org.adapters.tables import metadata

run_environment(metadata)
