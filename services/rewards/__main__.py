"""`python -m services.rewards` serves the rewards service."""

from services.chassis.runner import main
from services.rewards.bootstrap import SERVICE, build

main(SERVICE, build)
