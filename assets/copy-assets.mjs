// Copy into static/build/ what the built pages need from the npm packages: GOV.UK
// Frontend's JavaScript module (and its source map), and every image the built stylesheet refers to (so that
// whitenoise's manifest storage finds them all). Run by `npm run build`, after Sass.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const build = "static/build";
const imageSources = [
  "node_modules/govuk-frontend/dist/govuk/assets/images",
  "node_modules/@ministryofjustice/frontend/moj/assets/images",
];

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

// The module ends with a sourceMappingURL comment, so its map goes too: the manifest
// storage refuses a file that points at a missing one.
for (const file of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  copy(join("node_modules/govuk-frontend/dist/govuk", file), join(build, file));
}

const css = readFileSync(join(build, "application.css"), "utf8");
const images = new Set(
  [...css.matchAll(/url\(\s*["']?assets\/images\/([^"')]+)["']?\s*\)/g)].map(
    (match) => match[1],
  ),
);
for (const image of images) {
  const source = imageSources
    .map((directory) => join(directory, image))
    .find((path) => existsSync(path));
  if (!source) {
    console.error(`The stylesheet refers to ${image}, which no package provides.`);
    process.exit(1);
  }
  copy(source, join(build, "assets", "images", basename(image)));
}
console.log(`Copied the GOV.UK Frontend module and ${images.size} images to ${build}/.`);
