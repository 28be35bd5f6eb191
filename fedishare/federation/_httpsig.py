"""The one place that imports httpsig, for draft-cavage formatting only (never its RSA)."""

import warnings

with warnings.catch_warnings():
    # httpsig/__init__ imports pkg_resources, which newer setuptools deprecate noisily.
    warnings.simplefilter("ignore")
    from httpsig.utils import build_signature_template, generate_message

__all__ = ["build_signature_template", "generate_message"]
