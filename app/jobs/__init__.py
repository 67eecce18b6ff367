"""Training jobs: the SQLite job store, the queue and the runner.

Qt-free on purpose: the window (through a thin QThread/process adapter in
app/ui), the command line and a headless machine all use these modules.

- ``store``: ``JobStore`` (jobs, epochs, steps, samples, events; status life
  cycle; queue order; one folder per job), the records it returns
- ``runner``: ``run_job`` / ``run_queue`` drive ``gan.training.loop`` and write
  its events into the store
- ``liveness``: worker pid/host/heartbeat, so crashed runs are found
- ``schema``: tables and migrations; ``errors``: plain-words errors
"""
