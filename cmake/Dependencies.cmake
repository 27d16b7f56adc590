# Third-party packages (Debian 12). See docs/stack.md for why each is found the way it is.
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(yaml-cpp 0.7 CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
# cpp-httplib must be compiled with the flags it was built with (CPPHTTPLIB_OPENSSL_SUPPORT …):
# the imported target carries them.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
# sd_notify (READY, WATCHDOG, RELOADING, STOPPING) for Type=notify; a no-op outside systemd.
# bcrypt (crypt_rn, crypt_gensalt_rn) for daemon.auth.basic_users.
pkg_check_modules(XCRYPT REQUIRED IMPORTED_TARGET libxcrypt)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
if(REZNET_BENCH AND NOT REZNET_UNIT_ONLY)
  find_package(benchmark CONFIG REQUIRED)
endif()
