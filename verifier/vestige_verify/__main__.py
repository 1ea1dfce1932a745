"""``python -m vestige_verify BAG --fingerprint SHA256:...`` (the same as ``vestige-verify``)."""

import sys

from vestige_verify import cli

sys.exit(cli())
