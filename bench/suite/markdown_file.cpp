#include "markdown_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace weft_suite {

namespace fs = std::filesystem;

std::string splice_markdown(const std::string& existing, const std::string& generated) {
    const std::string begin = begin_marker(), end = end_marker();
    std::string body = generated;
    if (!body.empty() && body.back() != '\n') body += '\n';
    const auto b = existing.find(begin);
    const auto e = existing.find(end);
    if (b == std::string::npos && e == std::string::npos) {
        std::string out = existing;
        if (!out.empty() && out.back() != '\n') out += '\n';
        if (!out.empty()) out += '\n';
        return out + begin + "\n\n" + body + "\n" + end + "\n";
    }
    if (b == std::string::npos || e == std::string::npos || e < b)
        throw std::runtime_error(std::string("the file has '") + (b == std::string::npos ? end : begin) +
                                 "' without its partner (or the markers are out of order)");
    if (existing.find(begin, b + 1) != std::string::npos || existing.find(end, e + 1) != std::string::npos)
        throw std::runtime_error("the file has the weft-bench markers more than once");
    return existing.substr(0, b + begin.size()) + "\n\n" + body + "\n" + existing.substr(e);
}

namespace {

std::string read_if_exists(const std::string& path) {
    if (!fs::exists(path)) return "";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

void check_markdown_file(const std::string& path) { splice_markdown(read_if_exists(path), ""); }

void update_markdown_file(const std::string& path, const std::string& generated) {
    const std::string out = splice_markdown(read_if_exists(path), generated);
    const std::string tmp = path + ".weft-bench.tmp";
    {
        std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
        o << out;
        o.flush();
        if (!o) throw std::runtime_error("cannot write " + tmp);
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp);
        throw std::runtime_error("cannot replace " + path + ": " + ec.message());
    }
}

bool writable(const std::string& path, std::string& why) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        why = path + " is a directory";
        return false;
    }
    if (fs::exists(path, ec)) {
        if (::access(path.c_str(), R_OK | W_OK) == 0) return true;
        why = "cannot write " + path + ": " + std::strerror(errno);
        return false;
    }
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (!fs::is_directory(dir, ec)) {
        why = "no directory " + dir.string() + " for " + path;
        return false;
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        why = "cannot create files in " + dir.string() + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

} // namespace weft_suite
