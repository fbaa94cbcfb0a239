// A link at the top of every page to the same page in the other edition.
// The Chinese book is built into the English book's output as zh/
// (cargo xtask book), so the twin of `x.html` is `zh/x.html`, and back.
(function () {
    const zh = document.documentElement.lang.startsWith("zh");
    const page = location.pathname.split("/").pop() || "index.html";
    const link = document.createElement("a");
    link.href = path_to_root + (zh ? "../" : "zh/") + page;
    link.textContent = zh ? "English" : "中文";
    link.lang = zh ? "en" : "zh-CN";
    link.className = "edition";
    link.title = zh ? "Read this page in English" : "阅读本页的中文版";
    const buttons = document.querySelector(".right-buttons");
    if (buttons) buttons.prepend(link);
})();
