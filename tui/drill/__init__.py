"""The drill cluster: a Kubernetes-API-compatible practice cluster."""
