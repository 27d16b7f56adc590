// `reznet-perfd hash-password`: reads a password from stdin (its first line), prints its bcrypt
// hash for daemon.auth.basic_users; exit 0, or 2 when there is none or bcrypt cannot take it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "api/basic_auth.hpp"
#include "config/bcrypt_hash.hpp"
#include "daemon/cli/verbs.hpp"

namespace reznet::daemon::cli {

Verb AddHashPassword(CLI::App& app) {
  auto cost = std::make_shared<int>(config::kDefaultBcryptCost);
  auto* cmd = app.add_subcommand(
      "hash-password", "read a password from stdin, print its bcrypt hash for basic_users");
  // The range the daemon accepts in basic_users (config/bcrypt_hash.hpp says why 12 at most).
  cmd->add_option("--cost", *cost,
                  "bcrypt cost, " + std::to_string(config::kMinBcryptCost) + ".." +
                      std::to_string(config::kMaxBcryptCost) +
                      " (each +1 doubles the time of a check; above " +
                      std::to_string(config::kMaxBcryptCost) +
                      " the daemon refuses the hash: wrong logins would take its CPU)")
      ->check(CLI::Range(config::kMinBcryptCost, config::kMaxBcryptCost));
  return {cmd, nullptr, [cost](const probes::ProbeRegistry&) {
            if (isatty(STDIN_FILENO) == 1) std::cerr << "password: " << std::flush;
            std::string password;
            std::getline(std::cin, password);
            if (!password.empty() && password.back() == '\r') password.pop_back();
            try {
              std::cout << api::HashPassword(password, *cost) << "\n";
              return 0;
            } catch (const std::exception& e) {
              std::cerr << "reznet-perfd hash-password: " << e.what() << "\n";
              return 2;
            }
          }};
}

}  // namespace reznet::daemon::cli
