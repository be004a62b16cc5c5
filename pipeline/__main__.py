import time

STARTED = time.monotonic()  # for the cold-start figure: as early as this process can take it

import sys  # noqa: E402

from pipeline.cli.main import main  # noqa: E402

sys.exit(main(started=STARTED))
