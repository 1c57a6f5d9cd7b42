// example_check: runs one example program and checks its output and timing.
//
// Usage:
//   example_check --expect FILE --unit-ms N -- PROGRAM [ARGS...]
//
// The program runs with WEFT_EXAMPLE_UNIT_MS=N in its environment, so an
// example can scale its delays to one "unit" of N milliseconds. Its stdout
// is captured; its stderr passes through unchanged.
//
// Expected-output file format, one entry per line:
//   # text            a comment (the line starts with "# "), ignored
//   #! exit N         the expected exit status (default 0)
//   #! min_units X    the run must take at least X units of wall time
//   #! max_units Y    the run must take at most Y units of wall time
//   anything else     an ECMAScript regular expression that must match the
//                     whole corresponding line of stdout (std::regex_match)
// The program must print exactly as many lines as there are patterns.
// X and Y are floating point; elapsed units = elapsed_ms / N.
//
// Exit status: 0 when every check passes, 1 when a check fails, 2 on a
// usage error, an unreadable or malformed expect file, or a failed launch.

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> (std::function
// moves in the NFA builder) when optimizing; it is not in this file's code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_check_failed = 1;
constexpr int exit_usage = 2;

struct pattern_line {
    int file_line = 0; // 1-based line number in the expect file
    std::string text;
    std::regex re;
};

struct expectation {
    std::vector<pattern_line> lines;
    int exit_code = 0;
    std::optional<double> min_units;
    std::optional<double> max_units;
};

struct options {
    std::string expect_file;
    long unit_ms = 0;
    std::vector<std::string> command;
};

struct run_result {
    std::string out;
    int status = 0; // raw waitpid status
    double elapsed_ms = 0.0;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "example_check: " << message << '\n'
              << "usage: example_check --expect FILE --unit-ms N -- PROGRAM [ARGS...]\n";
    std::exit(exit_usage);
}

[[noreturn]] void fatal(const std::string& message) {
    std::cerr << "example_check: " << message << '\n';
    std::exit(exit_usage);
}

options parse_args(int argc, char** argv) {
    options opts;
    bool have_unit = false;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "--expect" && i + 1 < argc) {
            opts.expect_file = argv[++i];
        } else if (arg == "--unit-ms" && i + 1 < argc) {
            const std::string value = argv[++i];
            char* end = nullptr;
            errno = 0;
            const long n = std::strtol(value.c_str(), &end, 10);
            if (errno != 0 || end == value.c_str() || *end != '\0' || n <= 0) {
                usage_error("--unit-ms needs a positive integer, got '" + value + "'");
            }
            opts.unit_ms = n;
            have_unit = true;
        } else {
            usage_error("unexpected argument '" + std::string(arg) + "'");
        }
    }
    for (; i < argc; ++i) {
        opts.command.emplace_back(argv[i]);
    }
    if (opts.expect_file.empty()) {
        usage_error("missing --expect FILE");
    }
    if (!have_unit) {
        usage_error("missing --unit-ms N");
    }
    if (opts.command.empty()) {
        usage_error("missing '-- PROGRAM [ARGS...]'");
    }
    return opts;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::string line;
    std::istringstream in(text);
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

double parse_number(const std::string& value, const std::string& where) {
    char* end = nullptr;
    errno = 0;
    const double x = std::strtod(value.c_str(), &end);
    if (errno != 0 || end == value.c_str() || *end != '\0') {
        fatal(where + ": expected a number, got '" + value + "'");
    }
    return x;
}

expectation read_expectation(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        fatal("cannot open expect file '" + path + "': " + std::strerror(errno));
    }
    expectation exp;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        const std::string where = path + ":" + std::to_string(number);
        if (line.rfind("# ", 0) == 0) {
            continue;
        }
        if (line.rfind("#!", 0) == 0) {
            std::istringstream directive(line.substr(2));
            std::string name;
            std::string value;
            std::string extra;
            directive >> name >> value;
            if (name.empty() || value.empty() || (directive >> extra)) {
                fatal(where + ": malformed directive '" + line + "'");
            }
            if (name == "exit") {
                const double code = parse_number(value, where);
                if (code != static_cast<double>(static_cast<int>(code))) {
                    fatal(where + ": exit status must be an integer, got '" + value + "'");
                }
                exp.exit_code = static_cast<int>(code);
            } else if (name == "min_units") {
                exp.min_units = parse_number(value, where);
            } else if (name == "max_units") {
                exp.max_units = parse_number(value, where);
            } else {
                fatal(where + ": unknown directive '" + name +
                      "' (known: exit, min_units, max_units)");
            }
            continue;
        }
        try {
            exp.lines.push_back({number, line, std::regex(line, std::regex::ECMAScript)});
        } catch (const std::regex_error& e) {
            fatal(where + ": invalid regular expression '" + line + "': " + e.what());
        }
    }
    return exp;
}

run_result run_program(const options& opts) {
    int fds[2];
    if (::pipe(fds) != 0) {
        fatal(std::string("pipe: ") + std::strerror(errno));
    }

    std::vector<char*> argv;
    argv.reserve(opts.command.size() + 1);
    for (const auto& arg : opts.command) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    const std::string unit = std::to_string(opts.unit_ms);

    std::cout.flush();
    std::cerr.flush();
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        fatal(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // Child: stdout into the pipe, stderr untouched.
        ::close(fds[0]);
        if (fds[1] != STDOUT_FILENO) {
            ::dup2(fds[1], STDOUT_FILENO);
            ::close(fds[1]);
        }
        ::setenv("WEFT_EXAMPLE_UNIT_MS", unit.c_str(), 1);
        ::execvp(argv[0], argv.data());
        const int err = errno;
        std::fprintf(stderr, "example_check: cannot execute '%s': %s\n", argv[0],
                     std::strerror(err));
        ::_exit(127);
    }

    ::close(fds[1]);
    run_result result;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n > 0) {
            result.out.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            fatal(std::string("read: ") + std::strerror(errno));
        }
    }
    ::close(fds[0]);

    while (::waitpid(pid, &result.status, 0) < 0) {
        if (errno != EINTR) {
            fatal(std::string("waitpid: ") + std::strerror(errno));
        }
    }
    const auto stop = std::chrono::steady_clock::now();
    result.elapsed_ms = std::chrono::duration<double, std::milli>(stop - start).count();
    return result;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) {
        return "exit status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        return "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
    }
    return "unknown wait status " + std::to_string(status);
}

std::string format_units(double units) {
    std::ostringstream s;
    s.precision(3);
    s << std::fixed << units;
    return s.str();
}

} // namespace

int main(int argc, char** argv) {
    const options opts = parse_args(argc, argv);
    const expectation exp = read_expectation(opts.expect_file);
    const run_result run = run_program(opts);

    const std::vector<std::string> got = split_lines(run.out);
    const double units = run.elapsed_ms / static_cast<double>(opts.unit_ms);
    const std::string timing = format_units(run.elapsed_ms) + " ms = " + format_units(units) +
                               " units of " + std::to_string(opts.unit_ms) + " ms";

    std::vector<std::string> failures;

    // Exit status.
    const bool exited = WIFEXITED(run.status);
    if (!exited || WEXITSTATUS(run.status) != exp.exit_code) {
        failures.push_back("expected exit status " + std::to_string(exp.exit_code) + ", got " +
                           describe_status(run.status));
    }

    // Output, line by line.
    int first_bad_line = 0; // 1-based output line, 0 = none
    const std::size_t common = std::min(got.size(), exp.lines.size());
    for (std::size_t i = 0; i < common; ++i) {
        if (!std::regex_match(got[i], exp.lines[i].re)) {
            first_bad_line = static_cast<int>(i) + 1;
            const auto& p = exp.lines[i];
            failures.push_back("output line " + std::to_string(first_bad_line) + " '" + got[i] +
                               "' does not match pattern '" + p.text + "' (" + opts.expect_file +
                               ":" + std::to_string(p.file_line) + ")");
            break;
        }
    }
    if (got.size() != exp.lines.size()) {
        failures.push_back("expected " + std::to_string(exp.lines.size()) + " output lines, got " +
                           std::to_string(got.size()));
        if (first_bad_line == 0) {
            first_bad_line = static_cast<int>(common) + 1;
        }
    }

    // Wall time.
    if (exp.min_units && units < *exp.min_units) {
        failures.push_back("took " + timing + ", expected at least " +
                           format_units(*exp.min_units) + " units");
    }
    if (exp.max_units && units > *exp.max_units) {
        failures.push_back("took " + timing + ", expected at most " +
                           format_units(*exp.max_units) + " units");
    }

    const std::string& program = opts.command.front();
    if (failures.empty()) {
        std::cout << "example_check: OK " << program << ": " << got.size() << " lines, "
                  << describe_status(run.status) << ", " << timing << '\n';
        return exit_ok;
    }

    std::ostream& err = std::cout;
    err << "example_check: FAIL " << program << '\n';
    for (const auto& f : failures) {
        err << "  - " << f << '\n';
    }
    err << "elapsed: " << timing << '\n';
    if (first_bad_line != 0) {
        err << "first failing line: " << first_bad_line << '\n';
    }
    err << "--- expected (" << exp.lines.size() << " patterns from " << opts.expect_file
        << ") ---\n";
    for (std::size_t i = 0; i < exp.lines.size(); ++i) {
        err << (static_cast<int>(i) + 1 == first_bad_line ? "> " : "  ") << i + 1 << ": "
            << exp.lines[i].text << '\n';
    }
    err << "--- got (" << got.size() << " lines) ---\n";
    for (std::size_t i = 0; i < got.size(); ++i) {
        err << (static_cast<int>(i) + 1 == first_bad_line ? "> " : "  ") << i + 1 << ": "
            << got[i] << '\n';
    }
    if (!run.out.empty() && run.out.back() != '\n') {
        err << "(output does not end with a newline)\n";
    }
    err << "---\n";
    return exit_check_failed;
}
