"""A path scan, in parts that each do one thing (docs/architecture.md "The scan package"):

- `walk`: the files under the given paths, lazily, in report order;
- `plan`: which files form Compose projects, how many workers a tree is worth and how it is cut for them;
- `pipeline`: targets -> parse -> rules -> scrub -> fingerprint -> reconcile, pure;
- `serial` and `forked`: the two executors, which run the pipeline in this process or in worker processes;
- `stream`: what a result's findings are (a list, or the workers' files read back) and the report encoders.

engine.py puts them together. None of these modules imports engine.py or a report module.
"""
