"""`python -m k3sfn.runtime`: see k3sfn/runtime/__init__.py and README.md."""

from . import main, exit_process

exit_process(main())
