"""The steady-traffic fault suite restarts PostgreSQL, so it runs only under `make test-faults`
(scripts/test_faults.sh), which starts a throwaway cluster for it and sets FAULTS_PGDATA."""

import os

collect_ignore_glob = [] if os.environ.get("FAULTS_PGDATA") else ["test_*.py"]
