// The install command's Copy button: progressive enhancement (the command is
// plain, selectable text without it). Copies with the Clipboard API, or, where
// that is unavailable (a page served over plain HTTP to another host), by
// selecting the text and asking the browser to copy it.
(function () {
  "use strict";

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyText(node) {
    var text = node.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      selectText(node);
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      if (copied) {
        resolve();
      } else {
        reject(new Error("copy refused"));
      }
    });
  }

  function init() {
    var button = document.getElementById("copy-install");
    var command = document.getElementById("install-command");
    var status = document.getElementById("copy-status");
    if (!button || !command) {
      return;
    }
    button.addEventListener("click", function () {
      copyText(command).then(
        function () {
          button.textContent = "Copied";
          if (status) {
            status.textContent = "Install command copied to the clipboard.";
          }
        },
        function () {
          selectText(command);
          button.textContent = "Press Ctrl+C";
          if (status) {
            status.textContent = "The command is selected: press Ctrl+C (⌘C on a Mac) to copy it.";
          }
        }
      );
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
