"""Platform functions: discovered by k3s from their decorators."""
