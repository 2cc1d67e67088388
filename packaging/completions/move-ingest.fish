# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_move_ingest_global_optspecs
    string join \n config= h/help V/version
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
complete -c move-ingest -n "__fish_move_ingest_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "run" -d 'Scan, then watch and ingest until SIGTERM/SIGINT (the systemd service)'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "backfill" -d 'Ingest every complete recording already on disk, wait for it, then exit'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "status" -d 'Show what the journal holds: waiting, uploading, done, failed'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "check" -d 'Validate the config, reach the API with the key, check the folders, then exit'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "retry" -d 'Put failed recordings back in the queue for the next `run` or `backfill`'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "takes" -d 'List, show or update takes on the API'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c move-ingest -n "__fish_move_ingest_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand run" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -l no-progress -d 'Do not show a progress bar even on a terminal'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand backfill" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -l json -d 'Print one JSON object instead of a table'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand status" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand check" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand retry" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -f -a "list" -d 'List takes, newest first'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -f -a "show" -d 'Show one take with its sources'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -f -a "update" -d 'Replace a take\'s name and/or metadata'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and not __fish_seen_subcommand_from list show update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l first -d 'How many takes to show' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l name -d 'New name' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l metadata -d 'New metadata, a JSON object' -r
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "list" -d 'List takes, newest first'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one take with its sources'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "update" -d 'Replace a take\'s name and/or metadata'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand takes; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -l config -d 'The config file. Defaults to $MOVE_INGEST_CONFIG, else /etc/move-ingest/config.toml' -r -F
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand completions" -s V -l version -d 'Print version'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "run" -d 'Scan, then watch and ingest until SIGTERM/SIGINT (the systemd service)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "backfill" -d 'Ingest every complete recording already on disk, wait for it, then exit'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "status" -d 'Show what the journal holds: waiting, uploading, done, failed'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "check" -d 'Validate the config, reach the API with the key, check the folders, then exit'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "retry" -d 'Put failed recordings back in the queue for the next `run` or `backfill`'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "takes" -d 'List, show or update takes on the API'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and not __fish_seen_subcommand_from run backfill status check retry takes completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "list" -d 'List takes, newest first'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "show" -d 'Show one take with its sources'
complete -c move-ingest -n "__fish_move_ingest_using_subcommand help; and __fish_seen_subcommand_from takes" -f -a "update" -d 'Replace a take\'s name and/or metadata'
