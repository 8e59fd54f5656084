#!/usr/bin/env node
// The build's second half: files under src/ that tsc does not emit (the bootstrap's .sh) go to the same place in dist/.
import {copyFileSync, mkdirSync, readdirSync, statSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'

const ASSET = /\.sh$/

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) copyAssets(path)
    else if (ASSET.test(name)) {
      const target = join('dist', relative('src', path))
      mkdirSync(dirname(target), {recursive: true})
      copyFileSync(path, target)
    }
  }
}

copyAssets('src')
