// The a6auth executable: everything it does is a subcommand (see app/Cli.cpp).
#include "a6/service/app/Cli.h"

int main(int argc, char** argv) { return a6::service::runCli(argc, argv); }
