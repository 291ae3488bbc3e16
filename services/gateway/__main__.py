"""`python -m services.gateway` serves the gateway: gRPC on FULCRUM_GATEWAY_GRPC_PORT, HTTP/JSON on
FULCRUM_GATEWAY_HTTP_PORT."""

from services.gateway.bootstrap import main

main()
