#!/bin/bash
# DevStack plugin for Convection: dispatches stack.sh phases to the
# functions in lib/convection.

source $DEST/convection/devstack/lib/convection

if is_service_enabled convection; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Convection"
        install_convection
        install_convectionclient
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Convection"
        if is_service_enabled key; then
            create_convection_accounts
        fi
        configure_convection
        if is_service_enabled h-eng; then
            # Needs Heat's plugin to have written heat.conf already:
            # enable_plugin heat before enable_plugin convection.
            configure_heat_for_convection
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initializing and starting Convection"
        init_convection
        start_convection
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            configure_tempest_for_convection
        fi
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_convection
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_convection
    fi
fi
