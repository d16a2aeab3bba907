// Boot 4 of the guest tests: its share of the scenario table, by cost (test/helpers/guest-boot.ts).
import { defineGuestBoot } from '../helpers/guest-boot.js';

defineGuestBoot(4, import.meta.url);
