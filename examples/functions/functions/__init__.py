"""The toolbox functions. k3s finds them by parsing the decorators; nothing here is imported."""
