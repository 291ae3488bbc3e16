"""`python -m services.goals` serves the goals service."""

from services.chassis.runner import main
from services.goals.bootstrap import SERVICE, build

main(SERVICE, build)
