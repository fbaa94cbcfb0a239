// Checks a HAR file against the HAR 1.2 schema, with har-validator (the
// schemas of the har-schema package, checked by ajv): a HAR library
// nobody here wrote. Prints what is wrong and exits 1, or prints "valid".
//
//     node tests/peers/har-validate.js FILE
"use strict";

const fs = require("fs");
const validate = require("har-validator");

const file = process.argv[2];
const har = JSON.parse(fs.readFileSync(file, "utf8"));
validate
  .har(har)
  .then(() => {
    console.log(`valid: ${har.log.entries.length} entries`);
  })
  .catch((e) => {
    for (const error of e.errors || [e]) {
      console.error(`${error.dataPath || ""} ${error.message}`);
    }
    process.exit(1);
  });
