"""What operators run the service with: health and readiness, Prometheus metrics, JSON logs with
request ids, CORS, graceful shutdown. See docs/operations.md."""
