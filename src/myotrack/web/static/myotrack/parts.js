// The parts of a page that take a while (the timeline, the published evidence) are loaded
// after the page: each element with data-part="URL" is replaced by what that URL returns.
// Without scripts, the page links to each part instead.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const element of document.querySelectorAll("[data-part]")) {
    fetch(element.dataset.part, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then((html) => {
        element.innerHTML = html;
        element.removeAttribute("data-part");
      })
      .catch((error) => {
        element.innerHTML = "";
        const message = document.createElement("p");
        message.className = "errors";
        message.textContent = "This part could not be loaded (" + error.message + "); reload the page.";
        element.appendChild(message);
      });
  }
});
