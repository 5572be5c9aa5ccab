"""Functions of the serverless-example project, discovered by k3s from their decorators."""
