"""Adapters: the journal on disk; later Kubernetes, Prometheus, probes and the shell."""
