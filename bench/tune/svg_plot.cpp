#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace weft_tune {

std::string xml_escape(const std::string& text) {
    std::string s;
    for (char c : text) {
        switch (c) {
        case '&': s += "&amp;"; break;
        case '<': s += "&lt;"; break;
        case '>': s += "&gt;"; break;
        case '"': s += "&quot;"; break;
        case '\'': s += "&apos;"; break;
        default: s += c;
        }
    }
    return s;
}

namespace {

const char* colour(weft::pinning_policy p) {
    switch (p) {
    case weft::pinning_policy::none: return "#8c8c8c";
    case weft::pinning_policy::compact: return "#1f77b4";
    case weft::pinning_policy::scatter: return "#ff7f0e";
    case weft::pinning_policy::numa: return "#2ca02c";
    case weft::pinning_policy::cpu_list: return "#9467bd";
    }
    return "#000000";
}

/// 1, 2 or 5 times a power of ten, at least `raw`: axis steps people read.
double nice_step(double raw) {
    if (raw <= 0) return 1;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

std::string tick_label(double v, double step) {
    std::ostringstream s;
    if (step >= 1e6) s << v / 1e6 << "M";
    else if (step >= 1e3) s << v / 1e3 << "k";
    else {
        const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step)));
        s << std::fixed << std::setprecision(decimals) << v;
    }
    return s.str();
}

std::string num(double v) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << v;
    return s.str();
}

std::string value_text(double v) {
    std::ostringstream s;
    s << std::setprecision(4) << v;
    return s.str();
}

} // namespace

std::string svg_plot(const sweep_result& s) {
    std::vector<weft::pinning_policy> policies;
    std::vector<unsigned> counts;
    double top = 0;
    for (const result& r : s.rows) {
        if (std::find(policies.begin(), policies.end(), r.cfg.policy) == policies.end())
            policies.push_back(r.cfg.policy);
        if (std::find(counts.begin(), counts.end(), r.cfg.workers) == counts.end())
            counts.push_back(r.cfg.workers);
        top = std::max(top, r.max);
    }
    std::sort(counts.begin(), counts.end());
    const double step = nice_step(top / 5);
    const double ymax = std::max(step, std::ceil(top / step) * step);

    const double bar = 22, group_gap = 30;
    const double group_w = static_cast<double>(policies.size()) * bar + group_gap;
    const double left = 84, right = 190, top_margin = 64, bottom = 64;
    const double plot_w = std::max(360.0, static_cast<double>(counts.size()) * group_w);
    const double plot_h = 300;
    const double width = left + plot_w + right, height = top_margin + plot_h + bottom;
    auto y_of = [&](double v) { return top_margin + plot_h - v / ymax * plot_h; };
    const double slot = plot_w / static_cast<double>(counts.size());

    const result& best = s.best();
    const result* base = s.baseline();

    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\""
      << num(height) << "\" viewBox=\"0 0 " << num(width) << ' ' << num(height)
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    o << "<text x=\"" << num(left) << "\" y=\"22\" font-size=\"15\" font-weight=\"bold\">"
      << xml_escape("weft-tune: " + s.title) << "</text>\n";
    o << "<text x=\"" << num(left) << "\" y=\"42\" fill=\"#444\">"
      << xml_escape("median of " + std::to_string(s.reps) +
                    (s.reps == 1 ? " run" : " runs") +
                    " per configuration; whiskers: min-max; higher is better")
      << "</text>\n";

    // Grid and y axis.
    for (double v = 0; v <= ymax + step / 2; v += step) {
        const double y = y_of(v);
        o << "<line x1=\"" << num(left) << "\" y1=\"" << num(y) << "\" x2=\"" << num(left + plot_w)
          << "\" y2=\"" << num(y) << "\" stroke=\"#e4e4e4\"/>\n";
        o << "<text x=\"" << num(left - 6) << "\" y=\"" << num(y + 4)
          << "\" text-anchor=\"end\">" << tick_label(v, step) << "</text>\n";
    }
    o << "<line x1=\"" << num(left) << "\" y1=\"" << num(top_margin) << "\" x2=\"" << num(left)
      << "\" y2=\"" << num(top_margin + plot_h) << "\" stroke=\"black\"/>\n";
    o << "<line x1=\"" << num(left) << "\" y1=\"" << num(top_margin + plot_h) << "\" x2=\""
      << num(left + plot_w) << "\" y2=\"" << num(top_margin + plot_h) << "\" stroke=\"black\"/>\n";
    const double ymid = top_margin + plot_h / 2;
    o << "<text x=\"18\" y=\"" << num(ymid) << "\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
      << num(ymid) << ")\">" << xml_escape("throughput (" + s.unit + ")") << "</text>\n";
    o << "<text x=\"" << num(left + plot_w / 2) << "\" y=\"" << num(height - 16)
      << "\" text-anchor=\"middle\">workers (WEFT_WORKERS)</text>\n";

    // Bars: one group per worker count.
    for (std::size_t g = 0; g < counts.size(); ++g) {
        const double gx = left + slot * static_cast<double>(g) +
                          (slot - static_cast<double>(policies.size()) * bar) / 2;
        o << "<text x=\"" << num(left + slot * (static_cast<double>(g) + 0.5)) << "\" y=\""
          << num(top_margin + plot_h + 18) << "\" text-anchor=\"middle\">" << counts[g]
          << "</text>\n";
        for (std::size_t k = 0; k < policies.size(); ++k) {
            const auto it = std::find_if(s.rows.begin(), s.rows.end(), [&](const result& r) {
                return r.cfg.policy == policies[k] && r.cfg.workers == counts[g];
            });
            if (it == s.rows.end()) continue;
            const result& r = *it;
            const double x = gx + static_cast<double>(k) * bar;
            const double y = y_of(r.median);
            std::string stroke;
            if (&r == &best) stroke = " stroke=\"black\" stroke-width=\"2.5\"";
            else if (&r == base) stroke = " stroke=\"black\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\"";
            o << "<rect x=\"" << num(x + 1) << "\" y=\"" << num(y) << "\" width=\"" << num(bar - 2)
              << "\" height=\"" << num(top_margin + plot_h - y) << "\" fill=\""
              << colour(r.cfg.policy) << '"' << stroke << "><title>"
              << xml_escape(describe(r.cfg) + ": median " + value_text(r.median) + " " + s.unit +
                            ", min " + value_text(r.min) + ", max " + value_text(r.max))
              << "</title></rect>\n";
            const double cx = x + bar / 2;
            o << "<path d=\"M" << num(cx) << ' ' << num(y_of(r.min)) << "V" << num(y_of(r.max))
              << "M" << num(cx - 4) << ' ' << num(y_of(r.min)) << "h8M" << num(cx - 4) << ' '
              << num(y_of(r.max)) << "h8\" stroke=\"black\" stroke-width=\"1\"/>\n";
        }
    }

    // Legend.
    const double lx = left + plot_w + 24;
    double ly = top_margin + 4;
    o << "<text x=\"" << num(lx) << "\" y=\"" << num(ly) << "\" font-weight=\"bold\">WEFT_PIN</text>\n";
    for (weft::pinning_policy p : policies) {
        ly += 20;
        o << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly - 11) << "\" width=\"14\" height=\"14\" fill=\""
          << colour(p) << "\"/>\n";
        o << "<text x=\"" << num(lx + 20) << "\" y=\"" << num(ly) << "\">" << policy_name(p)
          << "</text>\n";
    }
    ly += 30;
    o << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly - 11)
      << "\" width=\"14\" height=\"14\" fill=\"white\" stroke=\"black\" stroke-width=\"2.5\"/>\n";
    o << "<text x=\"" << num(lx + 20) << "\" y=\"" << num(ly) << "\">best</text>\n";
    if (base && base != &best) {
        ly += 20;
        o << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly - 11)
          << "\" width=\"14\" height=\"14\" fill=\"white\" stroke=\"black\" stroke-width=\"1.5\" "
             "stroke-dasharray=\"4 2\"/>\n";
        o << "<text x=\"" << num(lx + 20) << "\" y=\"" << num(ly) << "\">default (none, "
          << s.default_workers << ")</text>\n";
    }
    o << "</svg>\n";
    return o.str();
}

void write_svg(const sweep_result& s, const std::string& path) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << svg_plot(s);
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path);
}

} // namespace weft_tune
