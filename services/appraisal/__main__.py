"""`python -m services.appraisal` serves the appraisal service."""

from services.appraisal.bootstrap import SERVICE, build
from services.chassis.runner import main

main(SERVICE, build)
