// a6-unfccc-sim: the UNFCCC peer simulator (see Simulator.h and docs/unfccc.md).
#include "Simulator.h"

int main(int argc, char** argv) { return a6::integrations::unfccc::sim::runSimulator(argc, argv); }
