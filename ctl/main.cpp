// vitalsctl: the operator's command line, talking to the hub's REST API.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/time/clock.hpp"
#include "ctl/ctl.hpp"
#include "ctl/ctl_args.hpp"
#include "ctl/hub_client.hpp"
#include "ctl/nats_config.hpp"

int main(int argc, char** argv) {
  using namespace vitals::ctl;
  const std::vector<std::string> argv_list(argv + 1, argv + argc);
  // Needs no hub: handled before the API client's arguments are parsed.
  if (!argv_list.empty() && argv_list[0] == "nats-config") {
    return runNatsConfig({argv_list.begin() + 1, argv_list.end()}, systemNatsConfigDeps(),
                         std::cout, std::cerr);
  }
  auto args = parseCtlArgs(argv_list, CtlEnvironment::system());
  if (!args.ok()) {
    if (args.error().code == "unsupported") {  // a known command this version cannot do
      std::cerr << "vitalsctl: " << args.error().message << "\n";
      return 1;
    }
    std::cerr << "vitalsctl: " << args.error().message << "\n" << kCtlUsage;
    return 2;
  }
  if (args->help) {
    std::cout << kCtlUsage;
    return 0;
  }
  if (args->version) {
    std::cout << "vitalsctl " << VITALS_VERSION << "\n";
    return 0;
  }
  vitals::SystemClock clock;
  HttpHubApi api(args->hub_url, args->api_key);
  return runCtl(args.value(), api, clock, std::cout, std::cerr);
}
