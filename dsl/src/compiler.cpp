// compile_text / compile_file: parse the file and its includes (all syntax errors), then
// build the spec, apply --set overrides and run the semantic checks (all errors). Diagnostics
// come out in source order (main file, included files, then <--set>), at most kMaxErrors.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "internal.h"

namespace rnnlab::dsl {

namespace {

std::string text_of(const detail::Compiler& c, const std::string& file) {
  for (const auto& f : c.files)
    if (f->path() == file) return f->text();
  return "";
}

void finish(detail::Compiler& c, CompileResult& out) {
  auto& diags = c.sink.diags;
  auto file_rank = [&](const std::string& file) {
    for (std::size_t i = 0; i < c.files.size(); ++i)
      if (c.files[i]->path() == file) return i;
    return c.files.size();
  };
  std::stable_sort(diags.begin(), diags.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::make_tuple(file_rank(a.loc.file), a.loc.line, a.loc.column) <
           std::make_tuple(file_rank(b.loc.file), b.loc.line, b.loc.column);
  });
  const std::size_t total = diags.size();
  if (total > detail::kMaxErrors) diags.resize(detail::kMaxErrors);
  for (const auto& d : diags) out.rendered += render(d, text_of(c, d.loc.file));
  if (total > detail::kMaxErrors)
    out.rendered.append("(")
        .append(std::to_string(total - detail::kMaxErrors))
        .append(" more errors not shown)\n");
  out.diagnostics = std::move(diags);
  out.ok = out.diagnostics.empty();
  if (out.ok) out.spec = std::move(c.spec);
}

}  // namespace

CompileResult compile_text(const std::string& text, const std::string& path,
                           const Catalog& catalog, const std::vector<std::string>& overrides) {
  detail::Compiler c(catalog);
  std::vector<std::string> include_stack{path};
  detail::load_file(c, path, text, include_stack);
  CompileResult out;
  if (c.sink.diags.empty()) {
    detail::build_spec(c);
    detail::apply_overrides(c, overrides);
    detail::check_spec(c);
  }
  c.spec.source_path = path;
  std::string source = text;
  for (std::size_t i = 1; i < c.files.size(); ++i) {
    if (c.files[i]->path() == "<--set>") continue;
    source += "\n# ---- included: " + c.files[i]->path() + "\n" + c.files[i]->text();
  }
  c.spec.source_text = std::move(source);
  finish(c, out);
  return out;
}

CompileResult compile_file(const std::string& path, const Catalog& catalog,
                           const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    CompileResult out;
    Diagnostic d;
    d.loc = SourceLoc{path, 0, 0};
    d.message = "cannot open " + path;
    out.rendered = render(d, "");
    out.diagnostics.push_back(std::move(d));
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return compile_text(ss.str(), path, catalog, overrides);
}

}  // namespace rnnlab::dsl
