# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_move_ingest_global_optspecs
    string join \n config= v/verbose q/quiet h/help V/version
end

function __fish_move_ingest_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_move_ingest_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_move_ingest_using_subcommand
    set -l cmd (__fish_move_ingest_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c move-ingest -n "__fish_move_ingest_needs_command" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_needs_command" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "run" -d 'Scan, then watch and ingest until SIGTERM/SIGINT (the systemd service)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "backfill" -d 'Ingest every complete recording already on disk, wait for it, then exit'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "status" -d 'Show what the state holds: how many recordings are in each state, and which'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "history" -d 'Every step of one recording with its time, e.g. `move-ingest history cam-a/take01`'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "state" -d 'Look after the state database (state.db in `state.dir`)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "check" -d 'Validate the config, reach the API with the key, check the folders, then exit'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "retry" -d 'Put failed (or retrying) recordings back in the queue, also while the service runs'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "reconcile" -d 'Adopt the takes already on the API for recordings the state does not know'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "files" -d 'Upload a file by hand and print its file id (the guide\'s `files.create` + upload)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "takes" -d 'List, show, create or update takes on the API: the takes guide, from a shell'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "jobs" -d 'List, show or create processing jobs (a take turned into animation; billed by Move)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "volumes" -d 'List, show or create calibrated volumes, which multicam takes are made on (Move\'s multicam quickstart)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "lenses" -d 'The lens names the API knows (`listCameraSettings`), one a line: the LENS of a multicam `--source LABEL:FILE_ID:FORMAT:LENS`'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "rigs" -d 'The rigs a multicam job may use (`listRigs`), one a line: `jobs create TAKE_ID --rig NAME`'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -l no-progress -d 'Do not show progress bars even on a terminal'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -l dry-run -d 'List what would be uploaded and which takes would be created; send nothing, change nothing'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l since -d 'Count and list only the recordings changed within this long, e.g. 1h, 2days, 30m. Default: all of them are counted' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l json -d 'Print one JSON object instead of a table'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l all -d 'List every recording, not only failed, unfinished and the newest 20 of the rest'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l failed -d 'List only the failed recordings, every one, with why (the counts stay whole)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand history" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand history" -l json -d 'Print the recording(s) and their steps, as stored, as JSON instead of words'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand history" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand history" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand history" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -f -a "backup" -d 'Copy state.db to PATH, consistently, even while `run` or `backfill` is writing it (SQLite\'s online backup API). PATH must not exist. To restore: stop the service, copy the backup over state.db (removing state.db-wal and state.db-shm), start it'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and not __fish_seen_subcommand_from backup help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from backup" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from backup" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from backup" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Copy state.db to PATH, consistently, even while `run` or `backfill` is writing it (SQLite\'s online backup API). PATH must not exist. To restore: stop the service, copy the backup over state.db (removing state.db-wal and state.db-shm), start it'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -l all-failed -d 'Every failed and every retrying recording (the default when no RECORDING is given)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -l dry-run -d 'Say what would be adopted, uploaded or left; record nothing (the takes are still read)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -l json -d 'Print one JSON object (each recording with its action, take id and reason, and the counts) instead of lines'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand reconcile" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -f -a "upload" -d 'Upload one file: `createFile` with the type from its extension (mp4, mov, avi, move), then the daemon\'s own streaming PUT (retries with backoff, a fresh URL when one expires, at most 5 GiB). Prints the file id, for `takes create --source`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and not __fish_seen_subcommand_from upload help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -l name -d 'The file\'s name on the API. Defaults to the file name of PATH' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -l json -d 'Print `{"id", "type", "name", "size", "sha256"}` instead of the bare id'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -l no-progress -d 'Do not show a progress bar even on a terminal'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from upload" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from help" -f -a "upload" -d 'Upload one file: `createFile` with the type from its extension (mp4, mov, avi, move), then the daemon\'s own streaming PUT (retries with backoff, a fresh URL when one expires, at most 5 GiB). Prints the file id, for `takes create --source`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand files; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -f -a "list" -d 'List takes, newest first, a page at a time (the guide\'s `takes.list`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -f -a "show" -d 'Show one take (the guide\'s `takes.retrieve`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -f -a "create" -d 'Create a take from uploaded files: single-camera (the guide\'s `takes.create_singlecam`), or with --volume a multicam take (`createMultiCamTake`, the multicam quickstart\'s step 4)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -f -a "update" -d 'Change a take\'s name and/or metadata (the guide\'s `takes.update`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show create update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l limit -d 'How many takes per page (1 to 100)' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l next-token -d 'Start at this page: the token the previous page printed (its `next_token`). Defaults to the first page' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l sort -d 'Order by creation time' -r -f -a "asc\t'Oldest first'
desc\t'Newest first'"
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l expand -d 'Also read the takes\' sources and/or client, comma-separated. Defaults to neither' -r -f -a "sources\t'The take\'s sources: device label, file id, format'
client\t'The client (account) the take belongs to'"
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l all -d 'Page through every take, printing each page as it arrives'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l json -d 'Print `{"takes": [TAKE, ...], "next_token": "..." | null}` instead of a table'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -l expand -d 'Also read the take\'s sources and/or client, comma-separated. Defaults to neither' -r -f -a "sources\t'The take\'s sources: device label, file id, format'
client\t'The client (account) the take belongs to'"
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -l json -d 'Print the take as JSON (`id`, `name`, `created`, `metadata`, and `sources`/`client` when expanded)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l source -d 'A source as LABEL:FILE_ID:FORMAT, FORMAT one of mp4, mov, avi, move (any case). Repeat it: exactly one video (mp4, mov or avi), and optionally one move. With --volume: LABEL:FILE_ID:FORMAT:LENS, one video of each camera of the volume, with the lens the volume was made with' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l volume -d 'Make a multicam take on this volume (`createMultiCamTake`): it must be FINISHED (`move-ingest volumes show VOLUME_ID`). Defaults to a single-camera take' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l sync -d 'With --volume: how the cameras\' videos are synced: timecode, clap:START-END (a clap between these seconds, e.g. clap:2.5-4) or none (already synced)' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l name -d 'The take\'s name. Defaults to none' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l metadata -d 'Custom metadata, a JSON object, e.g. \'{"foo":"bar"}\'. Defaults to {}' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -l json -d 'Print the take as JSON instead of its id'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l metadata -d 'New metadata, a JSON object; replaces the current one (keeping `move_ingest`, see above). Defaults to the current metadata' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l set -d 'Set one metadata key, keeping the others; VALUE is parsed as JSON, else taken as a string. Repeatable' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l name -d 'New name. Defaults to the current one' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l drop-ingest-record -d 'With --metadata: do not keep the `move_ingest` record (the take is then unknown to reconciliation)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l json -d 'Print the updated take as JSON instead of `updated ID`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "list" -d 'List takes, newest first, a page at a time (the guide\'s `takes.list`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one take (the guide\'s `takes.retrieve`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a take from uploaded files: single-camera (the guide\'s `takes.create_singlecam`), or with --volume a multicam take (`createMultiCamTake`, the multicam quickstart\'s step 4)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "update" -d 'Change a take\'s name and/or metadata (the guide\'s `takes.update`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -f -a "list" -d 'List processing jobs, newest first, a page at a time'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -f -a "show" -d 'Show one job: its state, percentage complete, options and, once FINISHED, its outputs with their download URLs'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -f -a "create" -d 'Create a processing job for a take, single-camera or multicam. Move bills every job'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -f -a "retry" -d 'Ask again for the job of a take whose job FAILED (or could not be created): the daemon never does by itself, since Move bills every job'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and not __fish_seen_subcommand_from list show create retry help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -l take -d 'Only the jobs of this take. Defaults to every job' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -l limit -d 'How many jobs per page (1 to 100)' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -l next-token -d 'Start at this page: the token the previous page printed (its `next_token`). Defaults to the first page' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -l json -d 'Print `{"jobs": [JOB, ...], "next_token": "..." | null}` instead of a table'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from show" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from show" -l json -d 'Print the job as JSON with the API\'s field names (`metadata` decoded)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -l output -d 'An output to produce, an OutputType such as MAIN_FBX or RENDER_VIDEO (any case). Repeatable. Defaults to none named, which leaves the choice to Move' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -l option -d 'A processing option as KEY=VALUE, KEY an OptionsInput field: trackFingers, floorPlane, trackBall, trackJerseyNumbers (true or false) or mocapModel (M1, M2, S1, S2). Repeatable. Defaults to none, which leaves Move\'s defaults' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -l actors -d 'For a multicam take: how many people to track (numberOfActors). Defaults to the API\'s (one)' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -l rig -d 'For a multicam take: the rig to use, a name from `move-ingest rigs`, e.g. move_mo. Defaults to the API\'s default rig' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -l json -d 'Print the job as JSON instead of its id'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from retry" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "list" -d 'List processing jobs, newest first, a page at a time'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one job: its state, percentage complete, options and, once FINISHED, its outputs with their download URLs'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a processing job for a take, single-camera or multicam. Move bills every job'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Ask again for the job of a take whose job FAILED (or could not be created): the daemon never does by itself, since Move bills every job'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -f -a "list" -d 'List volumes, newest first, a page at a time'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -f -a "show" -d 'Show one volume: its state (NOT_STARTED, RUNNING, FINISHED or FAILED), percentage complete, cameras and lenses, human height and area'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -f -a "create" -d 'Create a volume from a calibration video of every camera (`createVolumeWithHuman`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and not __fish_seen_subcommand_from list show create help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -l limit -d 'How many volumes per page (1 to 100)' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -l next-token -d 'Start at this page: the token the previous page printed (its `next_token`). Defaults to the first page' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -l sort -d 'Order by creation time' -r -f -a "asc\t'Oldest first'
desc\t'Newest first'"
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -l all -d 'Page through every volume'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -l json -d 'Print `{"volumes": [VOLUME, ...], "next_token": "..." | null}` instead of a table'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from show" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from show" -l json -d 'Print the volume as JSON with the API\'s field names (`metadata` decoded)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l source -d 'A camera\'s calibration video as LABEL:FILE_ID:FORMAT:LENS: the device label, the file id `files upload` printed, mp4, mov or avi, and a lens name from `move-ingest lenses`. Repeat it, once per camera: at least two, each with its own label' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l human-height -d 'The height of the person in the calibration videos, in metres, e.g. 1.80' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l area -d 'The size of the capture area' -r -f -a "normal\t'A normal capture area (AreaType NORMAL)'
large\t'A large capture area (AreaType LARGE)'"
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l sync -d 'How the cameras\' videos are synced: timecode (shared timecode), clap:START-END (a clap between these seconds, e.g. clap:2.5-4) or none (already synced)' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l name -d 'The volume\'s name. Defaults to none' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l metadata -d 'Custom metadata, a JSON object, e.g. \'{"stage":"a"}\'. Defaults to {}' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -l json -d 'Print the volume as JSON instead of its id'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from help" -f -a "list" -d 'List volumes, newest first, a page at a time'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one volume: its state (NOT_STARTED, RUNNING, FINISHED or FAILED), percentage complete, cameras and lenses, human height and area'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a volume from a calibration video of every camera (`createVolumeWithHuman`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand volumes; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand lenses" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand lenses" -l json -d 'Print the API\'s items as JSON instead of one name a line'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand lenses" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand lenses" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand lenses" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand lenses" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand rigs" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand rigs" -l json -d 'Print the API\'s items as JSON instead of one name a line'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand rigs" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand rigs" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand rigs" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand rigs" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -s v -l verbose -d 'More log lines on stderr: each -v is one level above `log.level` (info, debug, trace), instead of editing the config; `$RUST_LOG` wins over both. Defaults to `log.level`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -s q -l quiet -d 'Fewer log lines on stderr: each -q is one level below `log.level` (info, warn, error)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "run" -d 'Scan, then watch and ingest until SIGTERM/SIGINT (the systemd service)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "backfill" -d 'Ingest every complete recording already on disk, wait for it, then exit'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "status" -d 'Show what the state holds: how many recordings are in each state, and which'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "history" -d 'Every step of one recording with its time, e.g. `move-ingest history cam-a/take01`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "state" -d 'Look after the state database (state.db in `state.dir`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "check" -d 'Validate the config, reach the API with the key, check the folders, then exit'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "retry" -d 'Put failed (or retrying) recordings back in the queue, also while the service runs'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "reconcile" -d 'Adopt the takes already on the API for recordings the state does not know'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "files" -d 'Upload a file by hand and print its file id (the guide\'s `files.create` + upload)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "takes" -d 'List, show, create or update takes on the API: the takes guide, from a shell'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "jobs" -d 'List, show or create processing jobs (a take turned into animation; billed by Move)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "volumes" -d 'List, show or create calibrated volumes, which multicam takes are made on (Move\'s multicam quickstart)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "lenses" -d 'The lens names the API knows (`listCameraSettings`), one a line: the LENS of a multicam `--source LABEL:FILE_ID:FORMAT:LENS`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "rigs" -d 'The rigs a multicam job may use (`listRigs`), one a line: `jobs create TAKE_ID --rig NAME`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status history state check retry reconcile files takes jobs volumes lenses rigs completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "backup" -d 'Copy state.db to PATH, consistently, even while `run` or `backfill` is writing it (SQLite\'s online backup API). PATH must not exist. To restore: stop the service, copy the backup over state.db (removing state.db-wal and state.db-shm), start it'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from files" -f -a "upload" -d 'Upload one file: `createFile` with the type from its extension (mp4, mov, avi, move), then the daemon\'s own streaming PUT (retries with backoff, a fresh URL when one expires, at most 5 GiB). Prints the file id, for `takes create --source`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "list" -d 'List takes, newest first, a page at a time (the guide\'s `takes.list`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "show" -d 'Show one take (the guide\'s `takes.retrieve`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "create" -d 'Create a take from uploaded files: single-camera (the guide\'s `takes.create_singlecam`), or with --volume a multicam take (`createMultiCamTake`, the multicam quickstart\'s step 4)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "update" -d 'Change a take\'s name and/or metadata (the guide\'s `takes.update`)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "list" -d 'List processing jobs, newest first, a page at a time'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "show" -d 'Show one job: its state, percentage complete, options and, once FINISHED, its outputs with their download URLs'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "create" -d 'Create a processing job for a take, single-camera or multicam. Move bills every job'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "retry" -d 'Ask again for the job of a take whose job FAILED (or could not be created): the daemon never does by itself, since Move bills every job'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from volumes" -f -a "list" -d 'List volumes, newest first, a page at a time'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from volumes" -f -a "show" -d 'Show one volume: its state (NOT_STARTED, RUNNING, FINISHED or FAILED), percentage complete, cameras and lenses, human height and area'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from volumes" -f -a "create" -d 'Create a volume from a calibration video of every camera (`createVolumeWithHuman`)'
