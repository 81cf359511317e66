"""The building blocks every component stands on: SSH, remote steps, read-back host state, the scripts' shared
bash, the component base and the processes' runtime tuning. Nothing here knows the stack config."""
