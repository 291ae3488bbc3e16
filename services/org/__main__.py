"""`python -m services.org` serves the org service."""

from services.chassis.runner import main
from services.org.bootstrap import SERVICE, build

main(SERVICE, build)
