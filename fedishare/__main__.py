import sys

from fedishare.cli import main

sys.exit(main())
