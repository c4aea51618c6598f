"""`python -m tinygrad_mnist` is the `tinygrad-mnist` command."""
import sys

from .cli import main

sys.exit(main())
