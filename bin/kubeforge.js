#!/usr/bin/env node
import '../dist/bundle/kubeforge.js';
