from services.appraisal.adapters.tables import metadata
from services.chassis.migrations import run_environment

run_environment(metadata)
