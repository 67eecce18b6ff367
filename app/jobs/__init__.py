"""Training jobs: the SQLite job store, the queue and the runner.

Qt-free on purpose: the window (through its training host and store
watcher), the command line and a headless machine all use these modules.

- ``store``: ``JobStore`` (jobs, epochs, steps, samples, events; status life
  cycle; one folder per job), the records it returns; made of ``database``
  (connections, transactions, the integrity check, read-only opening),
  ``queue`` (queue order, claiming, orphaned runs), ``run_log`` (what a run
  writes), ``lifecycle`` (status moves and events) and ``folders`` (job
  folders, never reused or emptied when unknown)
- ``access``: opening the store to read (read-only media, damaged files
  shown with a warning) or to change something (damaged files refused)
- ``adopt`` and ``recovery``: job folders the database does not know become
  jobs again; a damaged database is kept and rebuilt from the folders
- ``resume``: the newest checkpoint that loads, and data warnings as events
- ``runner``: ``run_job`` / ``run_queue`` drive ``gan.training.loop`` and write
  its events into the store
- ``liveness``: worker pid/host/heartbeat, so crashed runs are found
- ``schema``: tables and migrations; ``errors``: plain-words errors
- ``submit``: a ``JobRequest`` into the store; ``progress``: total steps and
  ETA from the training events
- ``queue_loop``: the window's training host runs the queue with it (thread
  or child process)
- ``watcher`` and ``series``: the window follows the store, reading only new
  rows into per-job chart series
"""
