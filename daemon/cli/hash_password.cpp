// `reznet-perfd hash-password`: reads a password from stdin (its first line), prints its bcrypt
// hash for daemon.auth.basic_users; exit 0, or 2 when there is none or bcrypt cannot take it. On a
// terminal it asks twice, without echo, and refuses two different answers.
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "api/basic_auth.hpp"
#include "config/bcrypt_hash.hpp"
#include "daemon/cli/verbs.hpp"

namespace reznet::daemon::cli {
namespace {

// One line of stdin; on a terminal after `prompt` and with echo off (restored before it returns).
std::optional<std::string> ReadPassword(const char* prompt) {
  termios saved{};
  const bool tty = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    std::cerr << prompt << std::flush;
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Verb AddHashPassword(CLI::App& app) {
  auto cost = std::make_shared<int>(config::kDefaultBcryptCost);
  auto* cmd = app.add_subcommand(
      "hash-password", "read a password from stdin, print its bcrypt hash for basic_users");
  cmd->footer(
      "Examples:\n"
      "  reznet-perfd hash-password                 asks twice, without echo\n"
      "  printf '%s\\n' \"$PW\" | reznet-perfd hash-password --cost 12");
  // The range the daemon accepts in basic_users (config/bcrypt_hash.hpp says why 12 at most).
  cmd->add_option("--cost", *cost,
                  "bcrypt cost, " + std::to_string(config::kMinBcryptCost) + ".." +
                      std::to_string(config::kMaxBcryptCost) +
                      " (each +1 doubles the time of a check; above " +
                      std::to_string(config::kMaxBcryptCost) +
                      " the daemon refuses the hash: wrong logins would take its CPU)")
      ->check(CLI::Range(config::kMinBcryptCost, config::kMaxBcryptCost));
  return {cmd, nullptr, [cost](const probes::ProbeRegistry&) {
            const auto password = ReadPassword("password: ");
            if (isatty(STDIN_FILENO) == 1 && password) {
              if (ReadPassword("again: ") != password) {
                std::cerr << "reznet-perfd hash-password: the two passwords differ\n";
                return 2;
              }
            }
            try {
              std::cout << api::HashPassword(password.value_or(""), *cost) << "\n";
              return 0;
            } catch (const std::exception& e) {
              std::cerr << "reznet-perfd hash-password: " << e.what() << "\n";
              return 2;
            }
          }};
}

}  // namespace reznet::daemon::cli
