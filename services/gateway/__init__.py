"""The gateway: the suite's one public API over gRPC and HTTP/JSON, its authentication and audit (W1, W2)."""
